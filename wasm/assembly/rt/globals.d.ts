// For editors type-checking wasm/assembly with wasm/tsconfig.json: asc itself sees these as the
// @global functions of the runtime in arena.ts (asconfig "runtime").
declare function arenaEnter(): void;
declare function arenaKeep(): void;
declare function arenaRelease(): void;
declare function arenaMark(): usize;
declare function arenaReset(mark: usize): void;
declare function arenaSettle(mark: usize, s: string): string;
