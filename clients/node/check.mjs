// Drives a Warden gateway with the official openai npm package and prints
// one JSON object describing what it saw. gateway/node_test.go runs it with
// OPENAI_BASE_URL, OPENAI_API_KEY, MODEL and FORBIDDEN_MODEL set.
import OpenAI from "openai";

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

console.log(JSON.stringify(out));
