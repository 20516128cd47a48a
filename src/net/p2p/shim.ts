/**
 * `Promise.withResolvers` for Node 20. libp2p's peer store (through `mortice`), `it-queue`
 * and `abort-error` call it at run time; without it the first peer-store write throws
 * "Promise.withResolvers is not a function". Import this module before anything from libp2p.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => Resolvers<T>;

const ctor = Promise as unknown as { withResolvers?: WithResolvers };

if (typeof ctor.withResolvers !== 'function') {
  const withResolvers: WithResolvers = <T>() => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  // Non-enumerable like the built-in, so nothing iterating Promise's keys sees a difference.
  Object.defineProperty(Promise, 'withResolvers', { value: withResolvers, writable: true, configurable: true });
}

export {};
