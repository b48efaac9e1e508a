package fr1.it.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader for {@code fr1 status --json}: objects become {@code Map<String,Object>}, arrays
 * {@code List<Object>}, numbers {@code Long} (integral) or {@code Double}, plus String, Boolean and null.
 * {@link #at} walks a path of keys and indexes and fails with the path in the message.
 */
public final class Json {

    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value; trailing non-blank text is an error. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) {
            throw p.error("trailing text");
        }
        return v;
    }

    /** The value at {@code path} (String keys for objects, Integer indexes for arrays). */
    public static Object at(Object root, Object... path) {
        Object cur = root;
        StringBuilder where = new StringBuilder("$");
        for (Object k : path) {
            if (k instanceof String key && cur instanceof Map<?, ?> m) {
                if (!m.containsKey(key)) {
                    throw new IllegalArgumentException("no field " + where + "." + key + " in " + root);
                }
                cur = m.get(key);
                where.append('.').append(key);
            } else if (k instanceof Integer idx && cur instanceof List<?> l) {
                if (idx < 0 || idx >= l.size()) {
                    throw new IllegalArgumentException("no element " + where + "[" + idx + "] in " + root);
                }
                cur = l.get(idx);
                where.append('[').append(idx).append(']');
            } else {
                throw new IllegalArgumentException("cannot apply " + k + " to " + where + " = " + cur);
            }
        }
        return cur;
    }

    public static long longAt(Object root, Object... path) {
        Object v = at(root, path);
        if (v instanceof Long l) {
            return l;
        }
        throw new IllegalArgumentException("not an integer at " + List.of(path) + ": " + v);
    }

    public static String stringAt(Object root, Object... path) {
        Object v = at(root, path);
        if (v instanceof String str) {
            return str;
        }
        throw new IllegalArgumentException("not a string at " + List.of(path) + ": " + v);
    }

    public static boolean boolAt(Object root, Object... path) {
        Object v = at(root, path);
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException("not a boolean at " + List.of(path) + ": " + v);
    }

    public static List<?> listAt(Object root, Object... path) {
        Object v = at(root, path);
        if (v instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException("not an array at " + List.of(path) + ": " + v);
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            if (peek() != '"') {
                throw error("expected a key");
            }
            String k = string();
            ws();
            expect(':');
            ws();
            m.put(k, value());
            ws();
            if (peek() == ',') {
                i++;
            } else {
                expect('}');
                return m;
            }
        }
    }

    private List<Object> array() {
        List<Object> l = new ArrayList<>();
        i++;
        ws();
        if (peek() == ']') {
            i++;
            return l;
        }
        while (true) {
            ws();
            l.add(value());
            ws();
            if (peek() == ',') {
                i++;
            } else {
                expect(']');
                return l;
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private Object number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        String n = s.substring(start, i);
        if (n.isEmpty()) {
            throw error("unexpected character");
        }
        try {
            boolean integral = n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0;
            return integral ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
        } catch (NumberFormatException e) {
            throw error("bad number " + n);
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw error("unexpected character");
        }
        i += word.length();
        return v;
    }

    private char peek() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private IllegalArgumentException error(String what) {
        int from = Math.max(0, i - 20);
        int to = Math.min(s.length(), i + 20);
        return new IllegalArgumentException("JSON " + what + " at offset " + i + ": ..." + s.substring(from, to) + "...");
    }
}
