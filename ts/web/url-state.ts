// The view in the URL hash, so a link reproduces it: the files, the edited one, the arch, the
// saved version under review, the "what happens if" call, the cursor and the chosen
// instruction. JSON, deflated (CompressionStream) and base64url-encoded: a policy of a few
// hundred lines still fits in a URL.

export interface PageState {
  files: Array<[string, string]>;
  main: string;
  arch: string;
  saved?: { files: Array<[string, string]>; main: string };
  whatIf?: { syscall: string; args: string };
  cursor?: number;
  insn?: number;
}

const PREFIX = '#s=';

async function pipe(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([data.slice()]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export async function encodeState(state: PageState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
}

function isFiles(v: unknown): v is Array<[string, string]> {
  return Array.isArray(v) && v.every((f) => Array.isArray(f) && f.length === 2 && typeof f[0] === 'string' && typeof f[1] === 'string');
}

/** The state in a hash; undefined when there is none; throws with a readable message when it is damaged. */
export async function decodeState(hash: string): Promise<PageState | undefined> {
  if (!hash.startsWith(PREFIX)) return undefined;
  let parsed: unknown;
  try {
    const bytes = await pipe(fromBase64Url(hash.slice(PREFIX.length)), new DecompressionStream('deflate-raw'));
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('the link\'s state is damaged (truncated or edited?)');
  }
  const s = parsed as PageState;
  if (!s || !isFiles(s.files) || s.files.length === 0 || typeof s.main !== 'string' || typeof s.arch !== 'string' ||
    !s.files.some(([n]) => n === s.main) || (s.saved !== undefined && !isFiles(s.saved.files))) {
    throw new Error('the link\'s state is not a page state');
  }
  return s;
}
