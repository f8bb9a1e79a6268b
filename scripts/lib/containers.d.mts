// Types for containers.mjs, which tests import from TypeScript.
export function stateDir(name?: string): string;
export function storeDir(): string;
export function storageFlags(store?: string): string[];
export function podmanFlags(store?: string): string[];
export function storageConf(store?: string): string;
