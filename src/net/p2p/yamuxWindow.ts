/**
 * @chainsafe/libp2p-yamux 7.0.4 (the last for libp2p 2) sends a WINDOW_UPDATE frame after
 * every chunk a stream's reader consumes: for gossip, one extra frame, noise seal and socket
 * write per message per link, and a read and wake-up at the other end. Yamux leaves the timing
 * to the receiver; like rust-yamux, we send the update once half the window is consumed
 * (flags, the stream's SYN/ACK, still go at once). The sender may always send a full window,
 * so flow control is unchanged; the window stays 256 KiB or more.
 */
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream';

interface WindowState {
  state: StreamState;
  recvWindow: number;
  recvWindowCapacity: number;
  sendWindowUpdate(): void;
}

let installed = false;

export function updateYamuxWindowAtHalf(): void {
  if (installed) return;
  installed = true;
  const proto = YamuxStream.prototype as unknown as WindowState;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- taken off the prototype on purpose: the patch below calls it with the stream as `this`
  const sendEveryTime = proto.sendWindowUpdate;
  proto.sendWindowUpdate = function (this: WindowState) {
    // A stream still to send its SYN or ACK (`getSendFlags`, which changes the state) goes on.
    const opening = this.state === StreamState.Init || this.state === StreamState.SYNReceived;
    if (!opening && this.recvWindowCapacity * 2 > this.recvWindow) return;
    sendEveryTime.call(this);
  };
}
