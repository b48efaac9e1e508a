package fr1.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The members' last known paths: one 4 KiB page in the last 4 KiB of each superblock slot, written with the slot
 * and carrying its sequence number, so the page of the winning slot is read with it. The superblock itself never
 * reaches that far (its worst case leaves at least 4 KiB of the slot unused, see {@link Layout#slotSize}), and readers
 * that predate the page ignore it. Only for people: a member missing at assembly is shown by the path it had. Byte
 * layout in docs/FORMAT.md.
 */
final class PathPage {

    static final long MAGIC = 0x4652315041544853L; // "FR1PATHS"
    /** Bytes of one path at most; a longer one is stored as unknown, so every member's fits in the page. */
    static final int MAX_PATH_BYTES = 500;
    private static final int HEADER = 20;
    private static final int CRC_AT = Layout.PAGE - 4;

    private PathPage() {
    }

    /** The page's offset in a member: the last 4 KiB of slot {@code slot}. */
    static long offset(Layout layout, int slot) {
        return layout.slotOffset(slot) + layout.slotSize() - Layout.PAGE;
    }

    /** True if a superblock of {@code bytes} bytes leaves the page of its slot free. */
    static boolean fits(Layout layout, long bytes) {
        return bytes <= layout.slotSize() - Layout.PAGE;
    }

    /** The page for the slot written with {@code sequence}; a null or overlong path is stored as unknown. */
    static byte[] encode(long sequence, List<String> paths) {
        ByteBuffer b = ByteBuffer.allocate(Layout.PAGE).order(ByteOrder.BIG_ENDIAN);
        b.putLong(MAGIC).putLong(sequence).putInt(paths.size());
        for (String p : paths) {
            byte[] bytes = p == null ? new byte[0] : p.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > MAX_PATH_BYTES || b.position() + 2 + bytes.length > CRC_AT) {
                bytes = new byte[0];
            }
            b.putShort((short) bytes.length).put(bytes);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, CRC_AT);
        b.putInt(CRC_AT, (int) crc.getValue());
        return b.array();
    }

    /**
     * The paths of a page written with {@code sequence} for {@code count} members, or null if the page is not one
     * (never written, torn, of an older write, damaged). An unknown path is null.
     */
    static List<String> decode(byte[] page, long sequence, int count) {
        if (page.length != Layout.PAGE) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.BIG_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(page, 0, CRC_AT);
        if (b.getLong(0) != MAGIC || b.getLong(8) != sequence || b.getInt(16) != count
                || (int) crc.getValue() != b.getInt(CRC_AT)) {
            return null;
        }
        b.position(HEADER);
        List<String> paths = new ArrayList<>(count);
        var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < count; i++) {
            if (b.position() + 2 > CRC_AT) {
                return null;
            }
            int len = b.getShort() & 0xffff;
            if (len > MAX_PATH_BYTES || b.position() + len > CRC_AT) {
                return null;
            }
            if (len == 0) {
                paths.add(null);
                continue;
            }
            try {
                String s = utf8.decode(b.slice(b.position(), len)).toString();
                paths.add(s.indexOf('\0') >= 0 ? null : s);
            } catch (CharacterCodingException e) {
                return null;
            }
            b.position(b.position() + len);
        }
        return paths;
    }
}
