/** Why a member's libp2p side cannot start: one line naming the member and what is wrong. */
export class HerdNodeError extends Error {
  override readonly name = 'HerdNodeError';
  constructor(
    readonly code: 'HERD_P2P',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
