/* Reset and fault handling for the Cortex-M3 of the MPS2 AN385 board, with
 * mps2.ld: the vector table at address 0, then a C environment for main()
 * (.data copied from flash, .bss zeroed, the semihosting console opened) and
 * exit() with main's status, which semihosting hands to the emulator so
 * that it stops. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* from mps2.ld */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start__[], __bss_end__[];
extern char __stack_top[];

int main(void);
void initialise_monitor_handles(void); /* the semihosting C library's */

void reset_handler(void);

void reset_handler(void) {
  const uint32_t *src = __data_load;
  for (uint32_t *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (uint32_t *dst = __bss_start__; dst < __bss_end__;) *dst++ = 0;
  initialise_monitor_handles();
  exit(main());
}

/* any fault or unexpected interrupt: say so and stop the run, rather than
 * spin until the emulator's timeout */
static void fault_handler(void) {
  fputs("cortex-m: fault or unexpected exception\n", stderr);
  _Exit(2);
}

typedef void (*Handler)(void);

/* the initial stack pointer, then the 15 system exceptions of ARMv7-M
 * (reset first; 0 where the architecture reserves the slot); the board's
 * external interrupts stay disabled, so their slots are left out */
static const struct {
  char *sp;
  Handler vec[15];
} vectors __attribute__((section(".vectors"), used)) = {
    __stack_top,
    {reset_handler, fault_handler, fault_handler, fault_handler, fault_handler, fault_handler, 0, 0,
     0, 0, fault_handler, fault_handler, 0, fault_handler, fault_handler},
};
