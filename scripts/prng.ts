// seed → deterministic pseudo-random numbers in [0, 1): the same sequence on every platform (mulberry32).

export type Random = () => number;

/** prng(42)() → the same first number on every run, so generated traffic and shuffles can be replayed. */
export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
