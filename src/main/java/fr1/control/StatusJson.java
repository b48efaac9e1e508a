package fr1.control;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import fr1.engine.MirrorStatus;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Status as one line of JSON, for scripts ({@code fr1 status --json}):
 * <pre>
 * {"mountpoint":"/mnt/x",
 *  "array":{"uuid":..,"size":..,"chunkSize":..,"events":..,"state":".."},
 *  "members":[{"index":0,"path":"..","state":"in_sync","missedChunks":0,"lastResyncChunks":0,"reason":null,
 *              "writeBehind":false,"lagWrites":0,"allocatedBytes":-1,
 *              "lag":{"mode":"none|streaming|behind|catching-up","writes":0,"bytes":0,"chunks":0,
 *                     "recoveryPointMs":0},
 *              "missedRuns":[[start,length],...]}],
 *  "resync":{"active":false,"member":-1,"doneChunks":0,"totalChunks":0,"bytesPerSecond":0,"full":false,
 *            "paused":false},
 *  "check":{"active":false,"repair":false,"doneChunks":0,"totalChunks":0,"mismatches":0,"repaired":0,
 *           "firstMismatches":[chunk,...]},
 *  "unavailable":{"chunks":0,"currentDataOn":-1}}
 * </pre>
 * {@code missedRuns} is the dirty map: the member's missed chunks as runs, in order, at most 1024 (the rest
 * merged into the last run).
 * Sizes are bytes, rates bytes per second. New fields may be added; readers ignore what they do not know.
 *
 * <p>The records below are that document, field for field and in order: Jackson writes and reads them (a record's
 * components are its JSON fields, in declaration order). A new field is one component in its record plus its value
 * in the {@code of} that fills it from {@link MirrorStatus} (and, if the CLI reads it back, in {@code toStatus}).
 */
public final class StatusJson {

    private StatusJson() {
    }

    /** The whole document. */
    public record Doc(String mountpoint, Array array, List<Member> members, Resync resync, Check check,
                      Unavailable unavailable) {

        public static Doc of(String mountpoint, MirrorStatus s) {
            return new Doc(mountpoint, Array.of(s), s.members().stream().map(Member::of).toList(),
                    Resync.of(s.resync()), Check.of(s.check()), Unavailable.of(s.unavailable()));
        }

        /** Back to the engine's snapshot (the mountpoint is dropped); absent optional parts take their idle value. */
        public MirrorStatus toStatus() {
            if (array == null || members == null || resync == null) {
                throw new IllegalArgumentException("status JSON lacks " + (array == null ? "array"
                        : members == null ? "members" : "resync"));
            }
            return new MirrorStatus(array.uuid, array.size, array.chunkSize, array.events, array.state,
                    members.stream().map(Member::toStatus).toList(), resync.toStatus(),
                    check == null ? MirrorStatus.Check.idle() : check.toStatus(),
                    unavailable == null ? MirrorStatus.Unavailable.NONE : unavailable.toStatus());
        }
    }

    public record Array(String uuid, long size, int chunkSize, long events, String state) {
        static Array of(MirrorStatus s) {
            return new Array(s.uuid(), s.size(), s.chunkSize(), s.events(), s.state());
        }
    }

    public record Member(int index, String path, String state, long missedChunks, long lastResyncChunks,
                         String reason, boolean writeBehind, int lagWrites, Long allocatedBytes, Lag lag,
                         List<Run> missedRuns) {

        static Member of(MirrorStatus.Member m) {
            return new Member(m.index(), m.path(), m.state(), m.missedChunks(), m.lastResyncChunks(), m.reason(),
                    m.writeBehind(), m.lagWrites(), m.allocatedBytes(), Lag.of(m.lag()),
                    m.missedRuns().stream().map(Run::of).toList());
        }

        MirrorStatus.Member toStatus() {
            return new MirrorStatus.Member(index, path, state, missedChunks, lastResyncChunks, reason, writeBehind,
                    lagWrites, missedRuns == null ? List.of() : missedRuns.stream().map(Run::toStatus).toList(),
                    lag == null ? MirrorStatus.Lag.NONE : lag.toStatus(), allocatedBytes == null ? -1 : allocatedBytes);
        }
    }

    public record Lag(String mode, long writes, long bytes, long chunks, long recoveryPointMs) {
        static Lag of(MirrorStatus.Lag l) {
            return new Lag(l.mode(), l.writes(), l.bytes(), l.chunks(), l.recoveryPointMillis());
        }

        MirrorStatus.Lag toStatus() {
            return new MirrorStatus.Lag(mode, writes, bytes, chunks, recoveryPointMs);
        }
    }

    /** Chunks {@code start .. start+length-1}, written as the pair {@code [start,length]}. */
    @JsonFormat(shape = JsonFormat.Shape.ARRAY)
    @JsonPropertyOrder({"start", "length"})
    public record Run(long start, long length) {
        static Run of(MirrorStatus.Run r) {
            return new Run(r.start(), r.length());
        }

        MirrorStatus.Run toStatus() {
            return new MirrorStatus.Run(start, length);
        }
    }

    public record Resync(boolean active, int member, long doneChunks, long totalChunks,
                         @JsonSerialize(using = Rate.class) double bytesPerSecond, boolean full, boolean paused) {
        static Resync of(MirrorStatus.Resync r) {
            return new Resync(r.active(), r.member(), r.doneChunks(), r.totalChunks(), r.bytesPerSecond(), r.full(),
                    r.paused());
        }

        MirrorStatus.Resync toStatus() {
            return new MirrorStatus.Resync(active, member, doneChunks, totalChunks, bytesPerSecond, full, paused);
        }
    }

    public record Check(boolean active, boolean repair, long doneChunks, long totalChunks, long mismatches,
                        long repaired, List<Long> firstMismatches) {
        static Check of(MirrorStatus.Check c) {
            return new Check(c.active(), c.repair(), c.doneChunks(), c.totalChunks(), c.mismatches(), c.repaired(),
                    c.firstMismatches());
        }

        MirrorStatus.Check toStatus() {
            return new MirrorStatus.Check(active, repair, doneChunks, totalChunks, mismatches, repaired,
                    firstMismatches == null ? List.of() : firstMismatches);
        }
    }

    public record Unavailable(long chunks, int currentDataOn) {
        static Unavailable of(MirrorStatus.Unavailable u) {
            return new Unavailable(u.chunks(), u.currentDataOn());
        }

        MirrorStatus.Unavailable toStatus() {
            return new MirrorStatus.Unavailable(chunks, currentDataOn);
        }
    }

    // ---------------------------------------------------------------- reading and writing

    public static String format(String mountpoint, MirrorStatus s) {
        return write(Doc.of(mountpoint, s));
    }

    /** The document as one line of JSON. */
    public static String write(Doc doc) {
        try {
            return Mapper.WRITER.writeValueAsString(doc);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write status JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads a status document; unknown fields are ignored. Malformed JSON is an {@link IllegalArgumentException}. */
    public static Doc read(String json) {
        try {
            Doc doc = Mapper.READER.readValue(json);
            if (doc == null) {
                throw new IllegalArgumentException("status JSON is empty");
            }
            return doc;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("malformed status JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads what {@link #format} wrote back into a status (the mountpoint is dropped). */
    public static MirrorStatus parse(String json) {
        return read(json).toStatus();
    }

    /** The mountpoint the daemon reported, or null. */
    public static String mountpoint(String json) {
        return read(json).mountpoint();
    }

    /** Several documents as a JSON array ({@code fr1 lsraid --json}). */
    public static List<Doc> readAll(String json) {
        try {
            List<Doc> docs = Mapper.READER.forType(Mapper.MAPPER.getTypeFactory()
                    .constructCollectionType(List.class, Doc.class)).readValue(json);
            return docs == null ? List.of() : new ArrayList<>(docs);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("malformed status JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Built on first use: commands that never touch JSON do not pay for it. */
    private static final class Mapper {
        static final JsonMapper MAPPER = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
        static final ObjectWriter WRITER = MAPPER.writerFor(Doc.class).with(new Escapes());
        static final ObjectReader READER = MAPPER.readerFor(Doc.class);
    }

    /**
     * A rate: whole numbers without a fraction ({@code 0}, not {@code 0.0}), as the documented format has it;
     * NaN and infinities, which JSON cannot hold, as null.
     */
    static final class Rate extends StdSerializer<Double> {
        Rate() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            double d = value;
            if (!Double.isFinite(d)) {
                gen.writeNull();
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                gen.writeNumber((long) d);
            } else {
                gen.writeNumber(d);
            }
        }
    }

    /**
     * JSON's escapes, plus DEL and U+2028/U+2029 as {@code \\uXXXX} so the line is also valid JavaScript; every
     * {@code \\u} escape in lower-case hex.
     */
    static final class Escapes extends CharacterEscapes {
        private final int[] ascii;

        Escapes() {
            ascii = standardAsciiEscapesForJSON();
            for (int c = 0; c < ascii.length; c++) {
                if (ascii[c] == ESCAPE_STANDARD && c < 0x20 && "\b\t\n\f\r".indexOf(c) < 0) {
                    ascii[c] = ESCAPE_CUSTOM;
                }
            }
            ascii[0x7f] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch < 0x20 || ch == 0x7f || ch == 0x2028 || ch == 0x2029) {
                return new SerializedString(String.format("\\u%04x", ch));
            }
            return null;
        }
    }
}
