package io.strata.proto;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A gRPC marshaller that parses a message without copying its bytes fields: the message is read
 * into an array (a {@link ParseBufferPool} array when large) and parsed with aliasing, so a bytes
 * field is a view of that array. gRPC's own protobuf marshaller reads into a buffer and then copies
 * every bytes field out of it. Use it as the response marshaller of a method whose answers carry
 * record batches ({@link #forMethod}), or as a server's request marshaller of a method whose
 * requests do ({@link #withLeasedRequests}); the caller closes each {@link LeasedMessage} when done.
 *
 * @param <T> the message type
 */
public final class LeasedMessageMarshaller<T extends Message> implements MethodDescriptor.Marshaller<LeasedMessage<T>> {

    private final T prototype;
    private final Parser<T> parser;
    private final ParseBufferPool pool;

    @SuppressWarnings("unchecked")
    public LeasedMessageMarshaller(T prototype, ParseBufferPool pool) {
        this.prototype = prototype;
        this.parser = (Parser<T>) prototype.getParserForType();
        this.pool = pool;
    }

    /** {@code method} with its answers parsed by a marshaller over {@code pool}. */
    public static <Q, R extends Message> MethodDescriptor<Q, LeasedMessage<R>> forMethod(
            MethodDescriptor<Q, R> method, R responsePrototype, ParseBufferPool pool) {
        return method.toBuilder(method.getRequestMarshaller(), new LeasedMessageMarshaller<>(responsePrototype, pool))
                .build();
    }

    /**
     * {@code definition} with {@code method}'s requests parsed by a marshaller over {@code pool}
     * and handled by {@code handler} (a server's side: e.g. produce requests, whose batches are
     * copied once into the log and need no array of their own). The handler closes each request.
     */
    public static <Q extends Message, R> ServerServiceDefinition withLeasedRequests(ServerServiceDefinition definition,
            MethodDescriptor<Q, R> method, Q requestPrototype, ParseBufferPool pool,
            ServerCallHandler<LeasedMessage<Q>, R> handler) {
        MethodDescriptor<LeasedMessage<Q>, R> leased = method.toBuilder(
                new LeasedMessageMarshaller<>(requestPrototype, pool), method.getResponseMarshaller()).build();
        ServiceDescriptor service = definition.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(service.getName())
                .setSchemaDescriptor(service.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        boolean found = false;
        for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
            if (m.getMethodDescriptor().getFullMethodName().equals(method.getFullMethodName())) {
                methods.add(ServerMethodDefinition.create(leased, handler));
                found = true;
            } else {
                methods.add(m);
            }
        }
        if (!found) {
            throw new IllegalArgumentException(service.getName() + " has no method " + method.getFullMethodName());
        }
        methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
        ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(out::addMethod);
        return out.build();
    }

    @Override
    public InputStream stream(LeasedMessage<T> value) {
        return value.message().toByteString().newInput();
    }

    @Override
    public LeasedMessage<T> parse(InputStream stream) {
        try {
            if (!(stream instanceof KnownLength)) {
                byte[] all = stream.readAllBytes(); // e.g. after a decompressor: size unknown
                return LeasedMessage.unpooled(parse(all, all.length));
            }
            int size = stream.available();
            if (size == 0) {
                return LeasedMessage.unpooled(prototype);
            }
            boolean pooled = pool.pools(size);
            byte[] array = pooled ? pool.acquire(size) : new byte[size];
            try {
                readFully(stream, array, size);
                T message = parse(array, size);
                return pooled ? new LeasedMessage<>(message, pool, array) : LeasedMessage.unpooled(message);
            } catch (RuntimeException | IOException e) {
                if (pooled) {
                    pool.release(array);
                }
                throw e;
            }
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("could not parse a " + prototype.getDescriptorForType().getName()
                    + ": " + e.getMessage()).withCause(e).asRuntimeException();
        }
    }

    private T parse(byte[] array, int size) throws InvalidProtocolBufferException {
        // A ByteString's own coded input is marked immutable: only then do parsed bytes fields alias the array.
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(array, 0, size).newCodedInput();
        in.enableAliasing(true);
        in.setSizeLimit(Integer.MAX_VALUE);
        T message = parser.parseFrom(in);
        in.checkLastTagWas(0);
        return message;
    }

    private static void readFully(InputStream stream, byte[] array, int size) throws IOException {
        int read = 0;
        while (read < size) {
            int n = stream.read(array, read, size - read);
            if (n < 0) {
                throw new IOException("the message ended after " + read + " of its " + size + " bytes");
            }
            read += n;
        }
    }
}
