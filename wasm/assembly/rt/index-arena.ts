// asconfig's "runtime" entry. A runtime file is compiled as an entry, so its own exports would
// become module exports; importing arena.ts from here keeps them internal (its @global
// functions are still visible everywhere, and asc exports __new/__pin/__unpin/__collect for core.js).
import "./arena";
