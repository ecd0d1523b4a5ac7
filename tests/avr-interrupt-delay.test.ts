// The emulated ATmega328P takes no interrupt in the instruction right after the one that set the global interrupt
// enable, as the part does (src/sim/firmware-mcu.ts runCycles): avr-gcc's prologue writes the stack pointer as
// `cli; out SPH; out SREG; out SPL` and relies on it. Without it, an interrupt between the last two pushed its frame
// 256 bytes off, into the firmware's static variables (false ACTUATOR_FAULT and STALL latches in emulation).
// Hand-assembled programs: the EEPROM-ready interrupt is pending the whole time (EERIE set, no write running), and
// its handler copies r20, which main increments right after enabling interrupts.

import { describe, expect, it } from "vitest";
import { CPU } from "avr8js";
import { McuEeprom, runCycles } from "../src/sim/firmware-mcu.ts";

const EE_READY_VECTOR_WORD = 22 * 2; // two words per vector on the 328P
const MAIN_WORD = 0x40;

/** A flash image: a jump to main, the EE_READY handler (r21 := r20, EERIE off, reti), then main's words. */
function program(main: number[]): Uint16Array {
  const flash = new Uint16Array(0x4000);
  flash[0] = 0xc000 | (MAIN_WORD - 1); // rjmp MAIN_WORD
  flash[EE_READY_VECTOR_WORD] = 0x2f54; // mov r21, r20
  flash[EE_READY_VECTOR_WORD + 1] = 0x98fb; // cbi EECR, EERIE
  flash[EE_READY_VECTOR_WORD + 2] = 0x9518; // reti
  const start = [0xe040, 0xe050, 0x9afb]; // ldi r20, 0; ldi r21, 0; sbi EECR, EERIE (interrupts still off)
  flash.set([...start, ...main, 0xcfff], MAIN_WORD); // ... then rjmp . (spin)
  return flash;
}

function runUntilHandled(flash: Uint16Array): CPU {
  const cpu = new CPU(flash);
  new McuEeprom().attach(cpu);
  runCycles(cpu, { end: 2000 });
  return cpu;
}

describe("the emulated part takes an interrupt only after the instruction that follows enabling them", () => {
  it.each([
    ["SEI", [0x9478]],
    ["OUT SREG", [0xb70f, 0x6800, 0xbf0f]], // in r16, SREG; ori r16, 0x80; out SREG, r16
  ])("%s: the next instruction (inc r20) runs before the handler", (_name, enable) => {
    const cpu = runUntilHandled(program([...enable, 0x9543])); // ... inc r20
    expect(cpu.data[20]).toBe(1);
    expect(cpu.data[21]).toBe(1); // the handler ran, and saw r20 already incremented
  });
});
