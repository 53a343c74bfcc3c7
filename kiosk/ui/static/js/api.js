// The controller's patron API (same origin): JSON in, JSON out; refusals are codes.

/** GET a JSON answer. */
export async function get(path) {
  const response = await fetch(path, { cache: "no-store" });
  return response.json();
}

/** POST a JSON body; the answer is {ok, result} or {ok: false, refusal | error}. */
export async function post(path, body = {}) {
  try {
    const response = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    return await response.json();
  } catch (error) {
    return { ok: false, refusal: "no_connection" };
  }
}

/** Follow the controller's snapshots (server-sent events); reconnects by itself. */
export function follow(onSnapshot, onLost) {
  const source = new EventSource("/api/events");
  source.addEventListener("state", (event) => onSnapshot(JSON.parse(event.data)));
  source.onerror = () => onLost();
  return source;
}
