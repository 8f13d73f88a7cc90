// PLACEHOLDER until scripts/gen-tables.js writes the generated table.
export const SYSCALLS: string = 'read 0\nwrite 1\nopen 2\nclose 3\nkill 62\nexit_group 231';
export const CONSTANTS: string = 'ENOSYS 0x26\nO_RDONLY 0x0\nPROT_WRITE 0x2\nPROT_EXEC 0x4\nEPERM 0x1';
