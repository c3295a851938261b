import type { handleUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { DescribeStreamsRequest, DescribeStreamsResponse } from "../../wire/admin.js";
import type { ApiContext } from "./context.js";
import { notFound, toApiError } from "./status.js";

/** lb's own `lb.admin.Admin` service. */
export function adminImplementation(ctx: ApiContext): UntypedServiceImplementation {
  return {
    DescribeStreams: ((call, callback) => {
      try {
        callback(null, describeStreams(ctx, call.request));
      } catch (err) {
        callback(toApiError(err).toServiceError());
      }
    }) satisfies handleUnaryCall<DescribeStreamsRequest, DescribeStreamsResponse>,
  };
}

function describeStreams(ctx: ApiContext, req: DescribeStreamsRequest): DescribeStreamsResponse {
  const streams = req.streams.length
    ? req.streams.map((name) => {
        const stream = ctx.metadata.getStream(name);
        if (!stream) throw notFound(`No such stream: ${name}`);
        return stream;
      })
    : ctx.metadata.listStreams();
  return {
    streams: streams.map((s) => ({
      config: {
        name: s.name,
        subject: s.subject,
        group: s.group,
        replicationFactor: s.replicationFactor,
        partitions: s.partitions.length,
        ...s.settings,
      },
      creationTimestamp: BigInt(s.creationTimestamp),
    })),
  };
}
