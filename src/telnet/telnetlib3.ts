// The barrel of this part of torsion/telnet; filled by its owner.
export {};
