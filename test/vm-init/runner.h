/* The part of /init both test VMs share (test/arm64-vm/init.c, test/cgroup-v2-vm/init.c): the
 * console, the clock, and the run of /runlist with its markers. Each VM's init.c mounts what it
 * needs and prints its own TSJAIL-VM lines between vm_console() and vm_run_list(). */
#ifndef TSJAIL_VM_RUNNER_H
#define TSJAIL_VM_RUNNER_H

/* Seconds since boot (CLOCK_MONOTONIC). */
double vm_now(void);

/* devtmpfs at /dev with /dev/console as stdout and stderr, then proc at /proc. */
void vm_console(void);

/* Runs every line of /runlist (NAME PROGRAM ARGS..., stdin from /NAME.stdin when it exists)
 * with its output between TSJAIL-BEGIN NAME and TSJAIL-END NAME STATUS TIME on the console;
 * after(NAME), when given, prints more after each run. Then prints TSJAIL-VM done and powers
 * off. */
void vm_run_list(void (*after)(const char *name));

#endif
