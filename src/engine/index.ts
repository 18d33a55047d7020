// The engine's public surface: tensors with autograd over libtorch.
export * from './tensor.ts';
export { tidy, keep } from './scope.ts';
export * from './runtime.ts';
export * from './prepared-linear.ts';
export * from './matmul-path.ts';
export * from './cpu-info.ts';
export * from './distributed.ts';
export * from './fused-adamw.ts';
export * from './allocator.ts';
