package io.github.deconvspark.jobs.corpus;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs one corpus case the way a task would, and says what went wrong: a JVM error (OutOfMemoryError,
 * StackOverflowError), more time than {@code seconds}, more allocation than {@code maxBytes} (the thread's own
 * count, so an input that makes a reader allocate a gigabyte fails even when the heap could hold it), an exception
 * that should have been a reject, or an outcome other than the expected one.
 */
final class Outcomes {
    private final List<String> problems = new ArrayList<>();
    private int cases;

    /** The result of a case: what happened ("accept", "convert: note", or "rule: reason"), its time and allocation. */
    record Run(String outcome, String note, String reason, long allocated) {}

    <T> T run(String name, double seconds, long maxBytes, Callable<T> body) {
        cases++;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Object[] got = new Object[2];
        try {
            assertTimeoutPreemptively(Duration.ofMillis((long) (seconds * 1000)), () -> {
                long before = mx.getCurrentThreadAllocatedBytes();
                try {
                    got[0] = body.call();
                } catch (Throwable t) {
                    got[1] = t;
                }
                long used = mx.getCurrentThreadAllocatedBytes() - before;
                if (used > maxBytes) problems.add(name + ": allocated " + (used >> 20) + " MiB (bound " + (maxBytes >> 20) + " MiB)");
            });
        } catch (Throwable t) {
            problems.add(name + ": did not finish within " + seconds + " s (" + t.getMessage() + ")");
            return null;
        }
        if (got[1] instanceof Throwable t) {
            problems.add(name + ": threw " + t + (t.getCause() != null ? " (cause " + t.getCause() + ")" : ""));
            return null;
        }
        @SuppressWarnings("unchecked") T r = (T) got[0];
        return r;
    }

    /** Compares an outcome ("accept", "convert", or a rule), its note or reason, with the expectation. */
    void check(String name, Expect e, String outcome, String text) {
        boolean ok = e.outcome().equals(outcome) && (text == null ? e.detail().isEmpty() : text.contains(e.detail()));
        if (!ok) problems.add(name + ": expected " + e.outcome() + (e.detail().isEmpty() ? "" : " (" + e.detail() + ")") + ", got "
                + outcome + (text == null || text.isEmpty() ? "" : ": " + text));
    }

    void problem(String p) {
        problems.add(p);
    }

    int cases() { return cases; }

    List<String> problems() { return problems; }

    String report() {
        return problems.size() + " of " + cases + " cases went wrong:\n  " + String.join("\n  ", problems);
    }
}
