// The exit codes of every command of this project: cdktf synth's app (main.ts)
// and every npm script (tools/command.ts). A pipeline acts on them.

/** The exit codes of every command of this project. */
export const EXIT = {
  /** Done, or every check held. */
  ok: 0,
  /** A check failed, or something the command needs is missing (a tool, a sign-in, a deployment). */
  failed: 1,
  /** Bad usage or bad config: nothing was done; the message says what to change. */
  badInput: 2,
} as const;
