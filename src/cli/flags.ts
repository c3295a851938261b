import { Flags } from "@oclif/core";
import { DEFAULT_ADDRESS } from "../client/index.js";

/** Flags every client command takes. */
export const globalFlags = {
  address: Flags.string({
    summary: "Broker address(es) to connect to.",
    description: "Comma-separated; the first that answers is used.",
    env: "LB_ADDRESS",
    default: DEFAULT_ADDRESS,
    helpValue: "HOST:PORT[,HOST:PORT]",
    helpGroup: "GLOBAL",
  }),
  json: Flags.boolean({
    summary: "Print JSON (one compact object per line for record streams).",
    helpGroup: "GLOBAL",
  }),
  color: Flags.boolean({
    summary: "Colour output on a terminal (--no-color or NO_COLOR turn it off).",
    default: true,
    allowNo: true,
    helpGroup: "GLOBAL",
  }),
  debug: Flags.boolean({
    summary: "Print the stack trace of an error.",
    helpGroup: "GLOBAL",
  }),
};
