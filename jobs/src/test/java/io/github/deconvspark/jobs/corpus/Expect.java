package io.github.deconvspark.jobs.corpus;

/**
 * What a reader must do with a corpus entry: read it as it is ({@code accept}), read it with a conversion whose note
 * holds {@code detail} ({@code convert}), or reject it under the rule {@code outcome} with a reason holding
 * {@code detail}.
 */
public record Expect(String outcome, String detail) {
    public static Expect accept() { return new Expect("accept", ""); }

    public static Expect convert(String note) { return new Expect("convert", note); }

    public static Expect reject(String rule, String reasonPart) { return new Expect(rule, reasonPart); }

    public boolean readable() { return outcome.equals("accept") || outcome.equals("convert"); }
}
