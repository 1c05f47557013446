import { parseFlags, UsageError } from "../../tools/flags";

describe("parseFlags", () => {
  const spec = { values: ["--env", "--out"], switches: ["--strict"] };

  test("reads values, repeated values in order, and switches", () => {
    const flags = parseFlags(["--env", "dev", "--strict", "--env", "prod"], spec, "usage: x");
    expect(flags.all("--env")).toEqual(["dev", "prod"]);
    expect(flags.get("--env")).toBe("prod");
    expect(flags.get("--out")).toBeUndefined();
    expect(flags.has("--strict")).toBe(true);
  });

  test("refuses an unknown flag and a flag without its value, naming the usage", () => {
    expect(() => parseFlags(["--nope"], spec, "usage: x")).toThrow(new UsageError('unknown argument "--nope"; usage: x'));
    expect(() => parseFlags(["--env"], spec, "usage: x")).toThrow("--env needs a value; usage: x");
    expect(() => parseFlags(["--env", "--strict"], spec, "usage: x")).toThrow("--env needs a value; usage: x");
  });
});
