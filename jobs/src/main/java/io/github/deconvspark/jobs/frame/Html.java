package io.github.deconvspark.jobs.frame;

/** HTML text escaping for the jobs' pages. */
public final class Html {
    private Html() {}

    /** The text of o with &amp; &lt; &gt; and &quot; escaped. */
    public static String esc(Object o) {
        String s = String.valueOf(o);
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
