package io.strata.records;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.util.Native;

/**
 * The LZ4 codec every batch is compressed and decompressed with: lz4-java's native (JNI) one
 * wherever its bundled library loads, as in a plain Java application.
 *
 * <p>{@link LZ4Factory#fastestInstance()} alone tries the native library only when it is loaded
 * already or lz4-java sits on the system class loader. Under Quarkus (every Strata service) it
 * sits on the application class loader, so the services silently compressed and decompressed with
 * the pure-Java codec, which took about a third of the ingestion service's CPU per record (JFR,
 * 100-byte records). Loading the library first makes {@code fastestInstance()} return the JNI
 * factory; the format is the same LZ4 block either way. Where the library cannot load (no build
 * for the platform, already loaded by another class loader in tests) the pure-Java codec stays.
 */
final class Lz4 {

    static final LZ4Factory FACTORY = factory();
    static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
    static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();

    private Lz4() {
    }

    private static LZ4Factory factory() {
        if (!Native.isLoaded()) {
            try {
                Native.load();
            } catch (Throwable e) { // UnsatisfiedLinkError and the like: the pure-Java codec stays
                System.getLogger(Lz4.class.getName()).log(System.Logger.Level.INFO,
                        "LZ4: native library not loaded ({0}); using the pure-Java codec", e.toString());
            }
        }
        return LZ4Factory.fastestInstance();
    }
}
