// Imported first by every benchmark: it measures ftlab as the CLI runs, restarted in place with
// tcmalloc preloaded where it is installed (src/engine/allocator.ts; FTLAB_ALLOCATOR=system: glibc).
import { preloadTcmalloc } from '../src/engine/allocator.ts';

preloadTcmalloc();
