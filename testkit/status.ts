/**
 * A member's /status as tests, the bench and the network lab read it: the contract and the
 * fetch. They import both from here only, so when either moves in src/ one line follows it.
 */
export { fetchStatus } from '../src/cli/mesh.js';
export type { MemberStatus, MemoryStatus } from '../src/net/admin.js';
