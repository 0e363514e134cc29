/** A small seeded PRNG (mulberry32): the simulator must give the same image for the same seed. */
export class Prng {
  #state: number
  constructor(seed: number) {
    this.#state = seed >>> 0
  }
  /** A uint32. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n
  }
  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.next() & 0xff
  }
}
