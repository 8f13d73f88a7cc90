// A page workspace as tsjail/policy options: the edited file is the policy; an @include or
// @frequency path is found among the loaded files by its path, else by its file name (a policy
// written for /usr/share/policy/... includes files the user dropped in by name only).

import type { PolicyOptions } from '../policy/index';
import type { Workspace } from './protocol';

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

export function mainText(ws: Workspace): string {
  const f = ws.files.find(([name]) => name === ws.main);
  if (!f) throw new Error(`no file named ${ws.main} is loaded`);
  return f[1];
}

/** The loaded file a path names (as the core resolved an @include): by its path, else by its file name. */
export function loadedFile(ws: Workspace, p: string): [string, string] | undefined {
  return ws.files.find(([name]) => name === p) ?? ws.files.find(([name]) => baseName(name) === baseName(p));
}

export function policyOptions(ws: Workspace): PolicyOptions {
  return { arch: ws.arch, path: ws.main, files: (p: string) => loadedFile(ws, p)?.[1] };
}
