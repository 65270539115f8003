import { describe, expect, it } from "vitest";
import { hoursSummary, policyBody, policyText } from "./policyForm";

describe("the SLA policy form", () => {
  it("summarises runs of days with the same hours", () => {
    const allDay = ["00:00-24:00"];
    expect(hoursSummary({ mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay })).toBe("Every day 00:00-24:00");
    const office = ["09:00-17:00"];
    expect(hoursSummary({ mon: office, tue: office, wed: office, thu: office, fri: office, sat: ["10:00-14:00"], sun: [] })).toBe("Mon–Fri 09:00-17:00 · Sat 10:00-14:00");
    expect(hoursSummary({})).toBe("no business hours");
  });

  it("turns hours into minutes and intervals into the API's weekly hours", () => {
    const text = policyText(null);
    text.name = "Office";
    text.time_zone = "Europe/Berlin";
    text.hours.mon = "09:00-12:00, 13:00 - 17:00";
    text.holidays = "2026-12-25\n2026-12-26";
    text.targets.urgent = { first: "0.5", resolution: "4" };
    text.targets.low = { first: "", resolution: "" };
    const parsed = policyBody(text);
    if ("error" in parsed) throw new Error(parsed.error);
    expect(parsed.body.weekly_hours.mon).toEqual(["09:00-12:00", "13:00-17:00"]);
    expect(parsed.body.weekly_hours.sat).toEqual([]);
    expect(parsed.body.holidays).toEqual(["2026-12-25", "2026-12-26"]);
    expect(parsed.body.targets.urgent).toEqual({ first_response_minutes: 30, resolution_minutes: 240 });
    expect(parsed.body.targets.low).toBeUndefined();
  });

  it("says plainly what is wrong", () => {
    const text = policyText(null);
    text.hours.tue = "9 to 5";
    expect(policyBody(text)).toEqual({ error: "Tuesday: write hours like 09:00-17:00 (comma between intervals)." });
    const holiday = policyText(null);
    holiday.holidays = "25.12.2026";
    expect(policyBody(holiday)).toEqual({ error: 'Holiday "25.12.2026": write dates as YYYY-MM-DD.' });
  });
});
