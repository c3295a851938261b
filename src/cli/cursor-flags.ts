import { Args, Flags } from "@oclif/core";

/** What names a cursor, shared by `lb cursor get` and `lb cursor set`. */
export const cursorArgs = {
  stream: Args.string({
    description: "Stream the cursor is for.",
    required: true,
    ignoreStdin: true,
  }),
};

export const cursorFlags = {
  id: Flags.string({ summary: "Cursor id (one per consumer).", required: true }),
  partition: Flags.integer({ char: "p", summary: "Partition.", default: 0, min: 0 }),
};

export const CURSOR_DESCRIPTION =
  "Cursors live in the internal __cursors stream; the broker needs cursors.stream.partitions > 0.";
