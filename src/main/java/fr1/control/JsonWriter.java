package fr1.control;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A small compact JSON writer: enough for status, with correct string escaping (RFC 8259). Not thread-safe.
 * Misuse (a value where a name is due) is not detected; callers are few and tested.
 */
public final class JsonWriter {

    private final StringBuilder out = new StringBuilder();
    /** Per open object or array: true once it holds an element, so the next one needs a comma. */
    private final Deque<Boolean> hasElement = new ArrayDeque<>();
    /** True right after a name, when the value must not be preceded by a comma. */
    private boolean afterName;

    public JsonWriter beginObject() {
        separate();
        out.append('{');
        hasElement.push(false);
        return this;
    }

    public JsonWriter endObject() {
        hasElement.pop();
        out.append('}');
        return this;
    }

    public JsonWriter beginArray() {
        separate();
        out.append('[');
        hasElement.push(false);
        return this;
    }

    public JsonWriter endArray() {
        hasElement.pop();
        out.append(']');
        return this;
    }

    public JsonWriter name(String name) {
        separate();
        quote(name);
        out.append(':');
        afterName = true;
        return this;
    }

    public JsonWriter value(String s) {
        separate();
        if (s == null) {
            out.append("null");
        } else {
            quote(s);
        }
        return this;
    }

    public JsonWriter value(long n) {
        separate();
        out.append(n);
        return this;
    }

    public JsonWriter value(boolean b) {
        separate();
        out.append(b);
        return this;
    }

    /** A double; NaN and infinities have no JSON form and are written as null. */
    public JsonWriter value(double d) {
        separate();
        if (!Double.isFinite(d)) {
            out.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d);
        } else {
            out.append(d);
        }
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void separate() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (!hasElement.isEmpty()) {
            if (hasElement.peek()) {
                out.append(',');
            } else {
                hasElement.pop();
                hasElement.push(true);
            }
        }
    }

    private void quote(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/9 too, so the output is also valid JavaScript.
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
