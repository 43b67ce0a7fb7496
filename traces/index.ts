// traces/: the trace schema, its JSONL and msgpack encodings, Linux ftrace import, Perfetto export.
export { TraceFormatError } from './errors.ts';
export {
  DMA_DIRECTION, DMA_DIRS, DMA_ATTR_BIT, DMA_ATTR_NAMES, DMA_ATTR_ALL_MASK, FTRACE_ATTR_ALIASES,
  directionName, isDmaAttrName, attrsToMask, maskToAttrs,
} from './kernel-names.ts';
export type { DmaDirectionName, DmaDir, DmaAttrName } from './kernel-names.ts';
export {
  TRACE_VERSION, OP_FIELDS, OP_NAMES, DEFAULT_LIMITS, isOpName, resolveLimits, parseOp, parseHeader, checkField, opAttrMask,
} from './schema.ts';
export type {
  TraceHeader, TraceOp, OpName, SgEntry, Violation, TraceLimits, FieldKind, FieldSpec,
  DeviceOp, KmallocOp, KfreeOp, AllocPagesOp, FreePagesOp, CpuWriteOp, CpuRangeOp, MapSingleOp, UnmapSingleOp,
  MapResourceOp, MapSgOp, UnmapSgOp, MappingErrorOp, SyncSingleOp, SyncSgOp, AllocCoherentOp, FreeCoherentOp,
  DevWriteOp, DevReadOp, WmbOp, DelayOp, RemoveDeviceOp, InterruptOp, ViolationOp,
} from './schema.ts';
export { splitLines } from './lines.ts';
export type { Line, ChunkSource } from './lines.ts';
export { readJsonl, readJsonlFile, JsonlWriter, toJsonl, opToJsonLine, headerToJsonLine } from './jsonl.ts';
export type { JsonlRecord, JsonlReadOptions, ByteSink } from './jsonl.ts';
export {
  MsgpackWriter, MsgpackTraceDecoder, readMsgpack, readMsgpackFile, encodeMsgpackTrace, decodeMsgpackTrace,
  opToRecord, recordToOp, looksLikeMsgpackTrace, MSGPACK_MAGIC_KEY,
} from './msgpack.ts';
export type { MsgpackRecord, MsgpackReadOptions, MsgpackWriterOptions, MsgpackChunkResult } from './msgpack.ts';
export { detectFormat, detectFileFormat } from './detect.ts';
export type { TraceFormat } from './detect.ts';
export { importFtrace, importFtraceText, importFtraceFile, parseDeviceMap, FtraceImporter } from './ftrace.ts';
export type { FtraceImport, FtraceImportOptions, FtraceImportStats, FtraceDeviceInfo, FtraceDeviceMap } from './ftrace.ts';
export { parseFtraceLine, FTRACE_EVENT_FORMATS, isKnownFtraceEvent } from './ftrace-parse.ts';
export type { FtraceEvent, FtraceLine } from './ftrace-parse.ts';
export { openTrace, readTrace } from './reader.ts';
export type { TraceReader, OpenTraceOptions } from './reader.ts';
export { convertTrace, outputFormatFor } from './convert.ts';
export type { ConvertResult, OutputFormat } from './convert.ts';
export { PerfettoWriter, validateChromeTrace } from './perfetto.ts';
export type { TrackId, Args, ChromeTraceCheck, PerfettoWriterOptions } from './perfetto.ts';
export { benchMsgpackDecode, generateBenchOps } from './msgpack-bench.ts';
export { Replayer, ReplayError, replayOps } from './replay.ts';
export type { ReplayOptions, ReplayResult, OpCost, OpEvent } from './replay.ts';
export { LiveOps, maskBits } from './live-ops.ts';
export type { LiveOpInfo, LiveOpSink, LiveOpStats } from './live-ops.ts';
export { TraceRecorder, fileRecordSink, recordFormatFor } from './recorder.ts';
export type { RecordFormat, RecordSink, TraceRecorderOptions } from './recorder.ts';
export { OpTimeline, apiSliceName, formatBytes, shortDeviceName } from './timeline.ts';
export type { TimelineOptions } from './timeline.ts';
export { PerfettoTracer, syncFileSink, createScenarioTrace, createReplayTimeline, replayTimelineOn } from './perfetto-export.ts';
export type { ScenarioTrace, ScenarioTraceOptions, ReplayTimeline } from './perfetto-export.ts';
export { minimizeTrace, MinimizeError } from './minimize.ts';
export type { MinimizeOptions, MinimizeResult } from './minimize.ts';
export { runBugs, runBug, listBugs, formatBugs, formatBugList, BUG_CATALOG, findBug, UnknownBugError } from './bugs/index.ts';
export type { BugEntry, BugResult, BugsResult } from './bugs/index.ts';
