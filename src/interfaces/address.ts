/** An endpoint address: IPv4Address, IPv6Address, UNIXAddress, ... */
export interface IAddress {
  /** 'TCP', 'UDP' or 'UNIX'-style tag. */
  readonly type: string;
}
