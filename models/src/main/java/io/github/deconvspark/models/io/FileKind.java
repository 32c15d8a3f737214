package io.github.deconvspark.models.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a path that is not a regular file is, for messages: from its Unix mode bits (links followed). */
public final class FileKind {
    private FileKind() {}

    public static String of(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            return switch (mode & 0170000) {
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                case 0040000 -> "a folder";
                case 0100000 -> "a regular file";
                default -> "not a regular file (mode 0" + Integer.toOctalString(mode) + ")";
            };
        } catch (IOException | RuntimeException e) {
            return "neither a regular file nor a folder";
        }
    }
}
