// ts/lsp/arch.ts: the arch of a policy file from its modeline, its path, the setting, or the
// default, each as an editor would meet it.

import { fileArch } from '../ts/lsp/arch';
import { resolvePath, settingsIncludeMap, uriPath, pathUri } from '../ts/lsp/uris';

test.each([
  ['/w/seccomp/x86_64/a.policy', '', undefined, 'x86_64', 'path'],
  ['/w/seccomp/arm64/a.policy', '', undefined, 'aarch64', 'path'],
  ['/w/policy/net-amd64.policy', '', undefined, 'x86_64', 'path'],
  ['/w/policy/net-arm.policy', '', undefined, 'arm', 'path'],
  ['/w/policy/net.policy', '', 'riscv64', 'riscv64', 'setting'],
  ['/w/policy/net.policy', '', 'nope', 'x86_64', 'default'],
  ['/w/policy/farm.policy', '', undefined, 'x86_64', 'default'],
  ['/w/seccomp/aarch64/a.policy', '# tsjail: arch=i386\nread: allow\n', undefined, 'i386', 'modeline'],
  ['/w/seccomp/aarch64/a.policy', '# tsjail: arch=vax\n', undefined, 'aarch64', 'path'],
])('%s %j (setting %s) -> %s from the %s', async (path, text, setting, arch, source) => {
  expect(await fileArch(path, text, setting)).toEqual({ arch, source });
});

test('paths and URIs', () => {
  expect(resolvePath('/a/b/', '../c/./d.policy')).toBe('/a/c/d.policy');
  expect(resolvePath('/a/b/', '/x.policy')).toBe('/x.policy');
  expect(uriPath('file:///w/a%20b.policy')).toBe('/w/a b.policy');
  expect(pathUri('/w/inc/c.policy', 'vscode-vfs://github/o/r/x.policy')).toBe('vscode-vfs://github/w/inc/c.policy');
  expect(settingsIncludeMap({ '/usr/share/policy/crosvm/': 'seccomp/x86_64' }, '/w')).toEqual([{ virtual: '/usr/share/policy/crosvm/', real: '/w/seccomp/x86_64/' }]);
});
