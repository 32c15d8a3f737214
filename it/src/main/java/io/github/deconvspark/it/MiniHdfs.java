package io.github.deconvspark.it;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * An HDFS (one NameNode, one DataNode) in this JVM, for the cluster test:
 * {@code MiniHdfs PORT DIR} prints "hdfs://127.0.0.1:PORT" when ready and runs until killed.
 */
public final class MiniHdfs {
    private MiniHdfs() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, Path.of(args[1]).toAbsolutePath().toString());
        conf.setBoolean("dfs.permissions.enabled", false);
        conf.set("dfs.datanode.address", "127.0.0.1:0");
        conf.set("dfs.datanode.http.address", "127.0.0.1:0");
        conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
        conf.set("dfs.namenode.http-address", "127.0.0.1:0");
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).nameNodePort(port).numDataNodes(1).format(true).build();
        cluster.waitActive();
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::shutdown));
        System.out.println("hdfs://127.0.0.1:" + cluster.getNameNodePort());
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
