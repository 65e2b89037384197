// Filled by its owner.
export {};
