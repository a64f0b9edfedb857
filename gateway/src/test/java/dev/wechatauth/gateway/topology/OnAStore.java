package dev.wechatauth.gateway.topology;

import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A session store of its own (a Redis Sentinel or Cluster set) and two gateways on it ({@link Instances}), started
 * before the test class that registers it and stopped after it.
 */
final class OnAStore<S extends AutoCloseable> implements BeforeAllCallback, AfterAllCallback {

    private final Supplier<S> start;
    private final Function<S, Map<String, String>> storeProperties;
    private S store;
    private Instances instances;

    /** {@code start} starts the store; {@code storeProperties} names it to the gateways (Spring's properties). */
    OnAStore(Supplier<S> start, Function<S, Map<String, String>> storeProperties) {
        this.start = start;
        this.storeProperties = storeProperties;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        store = start.get();
        instances = Instances.onStore(storeProperties.apply(store));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Instances.closeQuietly(instances, store);
    }

    S store() {
        return store;
    }

    Instances instances() {
        return instances;
    }
}
