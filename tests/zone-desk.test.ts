// The operator's zones and cartridges (src/control/zone-desk.ts): a zone that needs another needle blocks the
// pedal until the cartridge is seen out and in with the drive parked and the operator confirms; every change is
// an event with its time.

import { describe, expect, it } from "vitest";
import { ZoneDesk } from "../src/control/zone-desk.ts";
import { dotSettings, zonesForSession } from "../src/profiles/dots.ts";
import { loadDepthProfileFile } from "../src/profiles/files.ts";

const profile = loadDepthProfileFile("profiles/demo.json").profile;
const desk = () => new ZoneDesk(zonesForSession(profile, 1).map((z) => dotSettings(profile, z, 1)));

describe("ZoneDesk", () => {
  it("starts in the first zone with its needle fitted and the pedal live", () => {
    const d = desk();
    expect(d.zone.zone).toBe("hairline");
    expect(d.needle).toEqual({ configuration: "1RL", diameterMm: 0.2 });
    expect(d.pedal).toBe("live");
  });

  it("moves between zones of the same needle without blocking the pedal, clamped at both ends", () => {
    const d = desk();
    expect(d.select(-1, 5)).toEqual([]); // already the first
    expect(d.select(+1, 10)).toEqual([
      { type: "zone", atMs: 10, from: "hairline", to: "temples", needle: { configuration: "1RL", diameterMm: 0.2 } },
    ]);
    expect(d.pedal).toBe("live");
    d.select("crown", 20);
    expect(d.select(+1, 30)).toEqual([]); // crown is the last zone of session 1
  });

  it("blocks the pedal on a needle change until out, in and confirmed, in that order, with the drive parked", () => {
    const d = desk();
    d.select("mid-scalp", 100);
    expect(d.pedal).toBe("cartridge-out");
    expect(d.confirm(110)).toEqual([]); // nothing to confirm yet
    expect(d.cartridgeSwitch(false, false, 120)).toEqual([]); // out with the drive still running: not seen
    expect(d.pedal).toBe("cartridge-out");
    expect(d.cartridgeSwitch(false, true, 130)).toMatchObject([{ type: "cartridge", act: "out", atMs: 130 }]);
    expect(d.pedal).toBe("cartridge-in");
    expect(d.cartridgeSwitch(true, true, 140)).toMatchObject([{ type: "cartridge", act: "in", atMs: 140 }]);
    expect(d.pedal).toBe("confirm");
    expect(d.confirm(150)).toMatchObject([
      { type: "cartridge", act: "confirmed", atMs: 150, needle: { configuration: "3RL", diameterMm: 0.25 } },
    ]);
    expect(d.pedal).toBe("live");
    expect(d.needle).toEqual({ configuration: "3RL", diameterMm: 0.25 });
  });

  it("going back to a zone the fitted needle fits before the cartridge is out unblocks the pedal", () => {
    const d = desk();
    d.select("crown", 10);
    expect(d.pedal).toBe("cartridge-out");
    d.select("temples", 20);
    expect(d.pedal).toBe("live");
  });

  it("once the cartridge is out, the change must be finished and confirmed, whatever zone is chosen", () => {
    const d = desk();
    d.select("crown", 10);
    d.cartridgeSwitch(false, true, 20);
    d.select("hairline", 30); // the old needle's zone: but the cartridge is out (single use)
    expect(d.pedal).toBe("cartridge-in");
    d.cartridgeSwitch(true, true, 40);
    expect(d.pedal).toBe("confirm");
    d.confirm(50);
    expect(d.needle).toEqual({ configuration: "1RL", diameterMm: 0.2 }); // the zone's needle, confirmed
  });

  it("counts dots per zone, every zone starting at 0", () => {
    const d = desk();
    d.countDot("hairline");
    d.countDot("hairline");
    d.countDot("temples");
    expect(Object.fromEntries(d.dotsPerZone)).toEqual({ hairline: 2, temples: 1, "mid-scalp": 0, crown: 0 });
  });
});
