// A support chat app instrumented with the OpenTelemetry JS SDK and the
// OpenInference attribute conventions, exporting one three-turn session to an
// OTLP/HTTP endpoint (`sessionstore serve`). Used by tests/e2e/otel_js_test.sh
// and shown in README.md.
//
//   node chat_session.mjs --endpoint http://127.0.0.1:4318/v1/traces \
//     --protocol http/json|http/protobuf --processor batch|simple \
//     --session ID [--user ID] [--compression none|gzip]
//
// Each turn is one trace: a root `chat-turn` span (AGENT) holding the turn's
// input and output, an LLM child `ChatCompletion` with model, token counts,
// cost and a `first_token` event, and in turn 2 a TOOL span that fails (an
// `exception` event and ERROR status). Every span carries `session.id` and
// `user.id`, as OpenInference's context attributes put them. Span times are
// fixed (2026-01-05T10:00:00Z + 60 s per turn) so the session's aggregate is
// known exactly; everything else (ids, encoding, batching, HTTP) is the SDK's.
//
// `--processor simple` exports every span in its own request as it ends, so
// a trace's children reach the server before its root; `batch` sends all
// spans in one request at the flush.
//
// Prints one line of counts and exits 0 once every export succeeded (after
// the provider's forceFlush and shutdown); 1 if any export failed; 2 on bad
// arguments.

import { parseArgs } from 'node:util';

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';

// ExportResultCode.SUCCESS of @opentelemetry/core (a stable enum value).
const EXPORT_SUCCESS = 0;
const T0_MS = Date.UTC(2026, 0, 5, 10, 0, 0);
const TURN_GAP_MS = 60_000;

// Offsets are milliseconds from the turn's start. The expected aggregate in
// tests/e2e/otel_js_test.sh is worked out by hand from this table.
const TURNS = [
  {
    input: 'Which plans do you offer?',
    output: 'Free, Pro and Team.',
    model: 'gpt-4o-mini-2024-07-18', prompt: 120, completion: 45, cost: 0.000045, ttftMs: 180,
    llmAt: [100, 1900], endMs: 2000, tags: ['support'],
  },
  {
    input: 'What does Pro cost per year?',
    output: 'Pro is 96 USD a year.',
    model: 'gpt-4o-mini-2024-07-18', prompt: 310, completion: 52, cost: 0.000078, ttftMs: 240,
    llmAt: [400, 3400], endMs: 3500, tags: ['support', 'billing'],
    tool: { name: 'lookup_price', at: [50, 300], error: 'pricing service timed out after 250 ms' },
  },
  {
    input: 'Upgrade me to Pro, please.',
    output: 'Done: you are on Pro now.',
    model: 'claude-3-5-sonnet-20241022', prompt: 402, completion: 30, cost: 0.001656, ttftMs: 320,
    llmAt: [100, 1700], endMs: 1800, tags: ['support', 'billing'],
  },
];

// Forwards to the SDK's exporter and remembers failures, so the program can
// say whether the server accepted everything (the SDK itself only logs them).
class CheckedExporter {
  constructor(inner) {
    this.inner = inner;
    this.exports = 0;
    this.spans = 0;
    this.failures = [];
  }
  export(spans, done) {
    this.exports += 1;
    this.spans += spans.length;
    this.inner.export(spans, (result) => {
      if (result.code !== EXPORT_SUCCESS) this.failures.push(String(result.error));
      done(result);
    });
  }
  forceFlush() { return this.inner.forceFlush(); }
  shutdown() { return this.inner.shutdown(); }
}

function usage(message) {
  console.error(`chat_session: ${message}`);
  console.error('usage: node chat_session.mjs --endpoint URL --protocol http/json|http/protobuf ' +
                '--processor batch|simple --session ID [--user ID] [--compression none|gzip]');
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        protocol: { type: 'string', default: 'http/protobuf' },
        processor: { type: 'string', default: 'batch' },
        session: { type: 'string' },
        user: { type: 'string', default: 'user-4711' },
        compression: { type: 'string', default: 'none' },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  if (!values.endpoint || !values.session) usage('--endpoint and --session are required');
  if (!['http/json', 'http/protobuf'].includes(values.protocol)) usage('bad --protocol');
  if (!['batch', 'simple'].includes(values.processor)) usage('bad --processor');
  if (!['none', 'gzip'].includes(values.compression)) usage('bad --compression');
  return values;
}

// One turn: the LLM call (and the tool call) as children of the turn's root.
function runTurn(tracer, turn, index, ids) {
  const start = T0_MS + index * TURN_GAP_MS;
  const at = (ms) => new Date(start + ms);
  const common = { 'session.id': ids.session, 'user.id': ids.user };
  const root = tracer.startSpan('chat-turn', {
    kind: SpanKind.SERVER,
    startTime: at(0),
    attributes: {
      ...common,
      'openinference.span.kind': 'AGENT',
      'input.value': turn.input, 'input.mime_type': 'text/plain',
      'tag.tags': turn.tags,
      metadata: JSON.stringify({ plan: 'free', channel: 'web', turn: index }),
    },
  });
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  if (turn.tool) {
    const tool = tracer.startSpan(turn.tool.name, {
      startTime: at(turn.tool.at[0]),
      attributes: { ...common, 'openinference.span.kind': 'TOOL', 'tool.name': turn.tool.name },
    }, parent);
    const error = new Error(turn.tool.error);
    error.name = 'TimeoutError';
    tool.recordException(error, at(turn.tool.at[1]));
    tool.setStatus({ code: SpanStatusCode.ERROR, message: turn.tool.error });
    tool.end(at(turn.tool.at[1]));
  }
  const llm = tracer.startSpan('ChatCompletion', {
    kind: SpanKind.CLIENT,
    startTime: at(turn.llmAt[0]),
    attributes: {
      ...common,
      'openinference.span.kind': 'LLM',
      'llm.model_name': turn.model, 'llm.provider': turn.model.startsWith('gpt') ? 'openai' : 'anthropic',
      'llm.input_messages.0.message.role': 'user', 'llm.input_messages.0.message.content': turn.input,
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': turn.output,
      'llm.token_count.prompt': turn.prompt, 'llm.token_count.completion': turn.completion,
      'llm.token_count.total': turn.prompt + turn.completion,
      'llm.cost.total': turn.cost,
    },
  }, parent);
  llm.addEvent('first_token', {}, at(turn.llmAt[0] + turn.ttftMs));
  llm.setStatus({ code: SpanStatusCode.OK });
  llm.end(at(turn.llmAt[1]));
  root.setAttributes({ 'output.value': turn.output, 'output.mime_type': 'text/plain' });
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(at(turn.endMs));
}

async function main() {
  const options = parseOptions();
  const Exporter = options.protocol === 'http/json' ? OTLPJsonExporter : OTLPProtoExporter;
  const exporter = new CheckedExporter(new Exporter({
    url: options.endpoint,
    compression: options.compression,  // CompressionAlgorithm: 'none' or 'gzip'.
    timeoutMillis: 10_000,
  }));
  const Processor = options.processor === 'batch' ? BatchSpanProcessor : SimpleSpanProcessor;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'acme-support-bot', 'service.version': '1.0.0' }),
    spanProcessors: [new Processor(exporter)],
  });
  const tracer = provider.getTracer('acme-support-bot.chat', '1.0.0');
  TURNS.forEach((turn, i) => runTurn(tracer, turn, i, options));
  await provider.forceFlush();
  await provider.shutdown();
  console.log(`chat_session: ${exporter.spans} spans of ${TURNS.length} traces in ` +
              `${exporter.exports} exports (${options.protocol}, ${options.processor} processor, ` +
              `compression ${options.compression}), ` +
              `session ${options.session}, ${exporter.failures.length} failed`);
  for (const f of exporter.failures) console.error(`chat_session: export failed: ${f}`);
  process.exit(exporter.failures.length === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`chat_session: ${e.stack ?? e}`);
  process.exit(1);
});
