package io.github.deconvspark.jobs.frame;

import io.github.deconvspark.jobs.inputs.Messages;
import java.util.List;
import java.util.Locale;

/**
 * What a configuration key holds, and its rule: free text, an integer or a number in a range, a boolean, or one of a
 * list. {@link JobConfig#parse} checks every typed key up front, so a wrong value stops the job before Spark starts,
 * and {@code --help} prints the rule beside the key.
 */
public sealed interface KeyType {
    /** The rule for --help ("" for free text). */
    String rule();

    /** Checks a value (non-blank), naming the job, the key, the rule and the value. */
    void check(String job, String key, String value);

    KeyType TEXT = new Text();

    record Text() implements KeyType {
        @Override public String rule() { return ""; }

        @Override public void check(String job, String key, String value) {}
    }

    record Int(long min, long max) implements KeyType {
        @Override public String rule() { return "integer " + min + ".." + max; }

        @Override public void check(String job, String key, String value) {
            parse(job, key, value);
        }

        long parse(String job, String key, String value) {
            try {
                long i = Long.parseLong(value);
                if (i < min || i > max) throw new NumberFormatException();
                return i;
            } catch (NumberFormatException e) {
                throw new JobConfig.ConfigException(job + ": --" + key + " must be an integer in [" + min + ", " + max + "], got "
                        + Messages.quote(value));
            }
        }
    }

    record Decimal(double min, double max) implements KeyType {
        @Override public String rule() { return "number " + min + ".." + max; }

        @Override public void check(String job, String key, String value) {
            parse(job, key, value);
        }

        double parse(String job, String key, String value) {
            try {
                double d = Double.parseDouble(value);
                if (!(d >= min && d <= max)) throw new NumberFormatException();
                return d;
            } catch (NumberFormatException e) {
                throw new JobConfig.ConfigException(job + ": --" + key + " must be a number in [" + min + ", " + max + "], got "
                        + Messages.quote(value));
            }
        }
    }

    KeyType BOOL = new Bool();

    record Bool() implements KeyType {
        @Override public String rule() { return "true or false"; }

        @Override public void check(String job, String key, String value) {
            parse(job, key, value);
        }

        boolean parse(String job, String key, String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1" -> true;
                case "false", "no", "0" -> false;
                default -> throw new JobConfig.ConfigException(job + ": --" + key + " must be true or false, got " + Messages.quote(value));
            };
        }
    }

    record Choice(List<String> legal) implements KeyType {
        @Override public String rule() { return String.join(" | ", legal); }

        @Override public void check(String job, String key, String value) {
            if (!legal.contains(value)) {
                throw new JobConfig.ConfigException(job + ": --" + key + " must be one of " + legal + ", got " + Messages.quote(value));
            }
        }
    }
}
