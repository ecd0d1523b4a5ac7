// The emulated firmware's pins wired to the simulated plant, as firmware-bridge/README.md wires a real board
// (pin map, "Analog conventions"): the drive (enable PD7, Timer0 running, duty OCR0A/255) and the actuator
// setpoint (OC2A steps) out to the plant; needle position (ADC0), actuator feedback (ADC1) and drive current
// (ADC2) in from it, by BOARD_WIRING; the tachometer on PB0; the e-stop, pedal contacts and cartridge switch on
// PD2-PD5; and the coil machine's strike rate, measured from the firmware's drive gate. Part of EmulatedBoard
// (src/sim/firmware.ts), which times it all.

import { ADC_COUNTS, BOARD_WIRING } from "../protocol/board-wiring.ts";
import type { BoardInputs } from "./board-model.ts";
import { F_CPU, REG, type Mcu } from "./firmware-mcu.ts";
import { ADC_MAX, PARK_UM, type Plant } from "./plant.ts";

const W = BOARD_WIRING;
const ACT_UM_PER_COUNT = W.actuatorFeedbackNmPerCount / 1000;
const ACT_ZERO_COUNT = W.actuatorFeedbackZeroCount;
const CURRENT_MA_PER_VOLT = 1e6 / W.currentSenseMvPerA;
const ACT_UM_PER_STEP = W.actuatorUmPerStep;
const ADC_VREF = W.adcRefMv / 1000;

const { PORTD, PD7, TCCR0B, OCR0A, TCCR2A, OCR2A, COM_A1, CS_MASK } = REG;

export class PlantWiring {
  /** Coil gate: board cycle of the last rising edge of the 50 % gate, and whether a whole period was seen. */
  private gateRiseAt: number | undefined;
  private gatePeriodSeen = false;

  /** mcu: the running MCU (a reset replaces it). */
  constructor(
    private readonly plant: Plant,
    private readonly inputs: BoardInputs,
    private readonly mcu: () => Mcu,
  ) {}

  /** A reset: every pin an input, so the pull-downs switch the drive off and command park. */
  reset(): void {
    this.gateRiseAt = undefined;
    this.plant.driveOn = false;
    this.plant.dutyPermille = 0;
    this.plant.actuatorSetUm = PARK_UM;
  }

  /** Drive on, as the driver sees it: enable (PD7) high and Timer0 running. */
  driveOn(): boolean {
    const d = this.mcu().cpu.data;
    return (d[PORTD]! & PD7) !== 0 && (d[TCCR0B]! & CS_MASK) !== 0;
  }

  /** Actuator setpoint the firmware commands: PARK_UM plus BOARD_WIRING.actuatorUmPerStep per OCR2A step while
   * OC2A is connected, else PARK_UM. */
  actuatorSetpointUm(): number {
    const d = this.mcu().cpu.data;
    return d[TCCR2A]! & COM_A1 ? PARK_UM + ACT_UM_PER_STEP * d[OCR2A]! : PARK_UM;
  }

  /** The world's inputs to the pins. */
  applyInputs(): void {
    const { portD } = this.mcu();
    const i = this.inputs;
    portD.setPin(2, i.estopButton); // NC contact opens: the pull-up takes PD2 high (pressed or wire broken)
    portD.setPin(3, !(i.pedalPressed || i.pedalStuck)); // NO contact closed pulls low
    portD.setPin(4, i.pedalPressed); // NC contact closed (pedal up) pulls low
    portD.setPin(5, !i.cartridgePresent); // cartridge switch closed pulls low
  }

  /** Firmware outputs to the plant: drive (enable PD7 and Timer0 running, duty OCR0A/255) and actuator setpoint. */
  applyOutputs(): void {
    const p = this.plant;
    const on = this.driveOn();
    p.driveOn = on;
    p.dutyPermille = on ? Math.round((this.mcu().cpu.data[OCR0A]! * 1000) / 255) : 0;
    p.actuatorSetUm = this.actuatorSetpointUm();
  }

  /** Plant to the ADC: needle tip (ADC0), actuator feedback (ADC1), drive current (ADC2, at
   * BOARD_WIRING.currentSenseMvPerA). */
  applyAnalog(): void {
    const p = this.plant;
    this.setAdc(0, p.sensorCount());
    // the actuator feedback, which may lie
    this.setAdc(1, Math.round(ACT_ZERO_COUNT + p.actuatorFeedbackUm() / ACT_UM_PER_COUNT));
    this.mcu().adc.channelValues[2] = Math.min(ADC_VREF, Math.max(0, p.currentMa() / CURRENT_MA_PER_VOLT));
  }

  /** Tachometer rising edge at bottom dead centre, with ADC0 showing the bottom-dead-centre position. */
  tachRise(count: number, previousStillHigh: boolean): void {
    const { portB } = this.mcu();
    this.setAdc(0, count);
    if (previousStillHigh) portB.setPin(0, false); // end the previous pulse first
    portB.setPin(0, true);
  }

  tachFall(): void {
    this.mcu().portB.setPin(0, false);
  }

  /** Timer0 started or stopped at board cycle t: the drive switching on or off (hal_drive_on / drive_off_locked). */
  driveTimer(on: boolean, t: number): void {
    this.gatePeriodSeen = false;
    if (on) {
      this.gateRiseAt = t; // hal_drive_on connects OC0A just before it starts the timer
      this.plant.coilPulseHz = 0; // not known until the gate has been measured
    } else {
      this.gateRiseAt = undefined;
    }
  }

  /**
   * The drive PWM output connected or disconnected at board cycle t. Coil machines: the firmware gates the
   * drive PWM at strokeHz, 50 % (COM0A1 toggled while Timer0 runs); the coil strikes at that rate. The rate is
   * measured from the gate: rise to rise, or twice the first on-time until a whole period has been seen.
   */
  gate(on: boolean, t: number): void {
    if ((this.mcu().cpu.data[TCCR0B]! & CS_MASK) === 0 || this.gateRiseAt === undefined) return;
    const elapsed = t - this.gateRiseAt;
    if (elapsed <= 0) return;
    if (on) {
      this.plant.coilPulseHz = F_CPU / elapsed;
      this.gatePeriodSeen = true;
      this.gateRiseAt = t;
    } else if (!this.gatePeriodSeen) {
      this.plant.coilPulseHz = F_CPU / (2 * elapsed);
    }
  }

  private setAdc(channel: number, count: number): void {
    const c = Math.max(0, Math.min(ADC_MAX, count));
    this.mcu().adc.channelValues[channel] = ((c + 0.5) / ADC_COUNTS) * ADC_VREF;
  }
}
