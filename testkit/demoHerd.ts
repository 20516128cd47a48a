/** The demo herd of `peers/herd.json`: its five members and six links, as tests and the bench build it. */
export const DEMO_NAMES = ['Bailey', 'Bona', 'Campbell', 'Clark', 'Jaquez'] as const;
export type DemoName = (typeof DEMO_NAMES)[number];
export const DEMO_LINKS: ReadonlyArray<readonly [DemoName, DemoName]> = [
  ['Clark', 'Jaquez'],
  ['Clark', 'Bona'],
  ['Campbell', 'Bailey'],
  ['Campbell', 'Bona'],
  ['Campbell', 'Jaquez'],
  ['Bona', 'Bailey'],
];
