/** How a sync round failed, with a stable code; the wire-format codes come from the codec. */
import { SyncFrameError, type SyncFrameErrorCode } from '../../protocol/sync-codec.js';

export type SyncErrorCode =
  | SyncFrameErrorCode
  /** The peer broke the round's order (a second digest, a wrong count, another bucket count). */
  | 'ERR_SYNC_PROTOCOL'
  | 'ERR_SYNC_TIMEOUT'
  | 'ERR_SYNC_STOPPED'
  | 'ERR_SYNC_NOT_NEIGHBOUR'
  | 'ERR_SYNC_STREAM';

/** Every failure of a sync round, with a stable code (and the underlying error as `cause`). */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The reason a round ended, as a SyncError: the deadline or stop wins over what it caused. A
 * codec error keeps its code and message, without `cause` (pino would print the message twice).
 */
export function roundFailure(cause: unknown, signal: AbortSignal): SyncError {
  if (signal.aborted && signal.reason instanceof SyncError) return signal.reason;
  if (cause instanceof SyncError) return cause;
  if (cause instanceof SyncFrameError) return new SyncError(cause.code, cause.message);
  const name = cause instanceof Error ? cause.name : '';
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
    return new SyncError('ERR_SYNC_FRAME_TOO_LARGE', 'frame over the cap', { cause });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new SyncError('ERR_SYNC_STREAM', `sync stream failed: ${message}`, { cause });
}
