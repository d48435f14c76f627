// Drives a Warden gateway with the official openai and @anthropic-ai/sdk
// npm packages and the Vercel AI SDK's default OpenAI provider, and prints
// one JSON object describing what they saw. gateway/node_test.go runs it
// with OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OPENAI_API_KEY, MODEL and
// FORBIDDEN_MODEL set.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { generateText, streamText } from "ai";
import { createOpenAI } from "@ai-sdk/openai";

const client = new OpenAI({ maxRetries: 0 });
const model = process.env.MODEL;
const out = {};

const chat = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Say hello." }],
});
out.chat = chat.choices[0].message.content;

const stream = await client.chat.completions.create({
  model,
  stream: true,
  messages: [{ role: "user", content: "Say hello." }],
});
out.chunks = [];
for await (const chunk of stream) {
  if (chunk.choices?.[0]?.delta?.content) out.chunks.push(chunk.choices[0].delta.content);
}

out.models = [];
for await (const m of client.models.list()) out.models.push(m.id);

try {
  await client.chat.completions.create({
    model: process.env.FORBIDDEN_MODEL,
    messages: [{ role: "user", content: "hi" }],
  });
  out.forbidden = "allowed?!";
} catch (e) {
  out.forbidden = { status: e.status, code: e.code, type: e.type, isAPIError: e instanceof OpenAI.APIError };
}

try {
  await new OpenAI({ maxRetries: 0, apiKey: "wdn_not_a_key" }).models.list();
  out.badKey = "allowed?!";
} catch (e) {
  out.badKey = { status: e.status, code: e.code, isAuthError: e instanceof OpenAI.AuthenticationError };
}

// The Responses API, whole and streamed.
const resp = await client.responses.create({ model, input: "Say hello." });
out.responses = resp.output_text;
const rstream = await client.responses.create({ model, input: "Say hello.", stream: true });
out.responsesDeltas = [];
for await (const ev of rstream) {
  if (ev.type === "response.output_text.delta") out.responsesDeltas.push(ev.delta);
}

// Anthropic's Messages API, whole and streamed, and a refusal.
const anthropic = new Anthropic({ baseURL: process.env.ANTHROPIC_BASE_URL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 0 });
const msg = await anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: "user", content: "Say hello." }] });
out.anthropic = msg.content[0].text;
const final = await anthropic.messages.stream({ model, max_tokens: 64, messages: [{ role: "user", content: "Say hello." }] }).finalMessage();
out.anthropicStream = final.content[0].text;
try {
  await anthropic.messages.create({ model: process.env.FORBIDDEN_MODEL, max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
  out.anthropicForbidden = "allowed?!";
} catch (e) {
  out.anthropicForbidden = { status: e.status, type: e.error?.error?.type, isPermissionError: e instanceof Anthropic.PermissionDeniedError };
}

// The Vercel AI SDK's default OpenAI provider (the Responses API).
const provider = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });
const gen = await generateText({ model: provider(model), prompt: "Say hello.", maxRetries: 0 });
out.aiText = gen.text;
const st = streamText({ model: provider(model), prompt: "Say hello.", maxRetries: 0 });
out.aiStream = "";
for await (const delta of st.textStream) out.aiStream += delta;

console.log(JSON.stringify(out));
