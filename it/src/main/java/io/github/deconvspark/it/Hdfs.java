package io.github.deconvspark.it;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** {@code Hdfs put LOCAL URI} / {@code Hdfs get URI LOCAL}: recursive copies to and from any Hadoop file system. */
public final class Hdfs {
    private Hdfs() {}

    public static void main(String[] args) throws Exception {
        Configuration conf = new Configuration();
        switch (args[0]) {
            case "put" -> {
                Path dst = new Path(args[2]);
                dst.getFileSystem(conf).copyFromLocalFile(false, true, new Path(args[1]), dst);
            }
            case "get" -> {
                Path src = new Path(args[1]);
                FileSystem fs = src.getFileSystem(conf);
                fs.copyToLocalFile(false, src, new Path(args[2]), true);
            }
            default -> throw new IllegalArgumentException("usage: Hdfs put LOCAL URI | get URI LOCAL");
        }
    }
}
