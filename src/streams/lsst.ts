// The barrel of this part of torsion/streams; filled by its owner.
export {};
