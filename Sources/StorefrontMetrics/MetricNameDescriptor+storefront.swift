import Prometheus

extension MetricNameDescriptor {
    /// A `storefront_<subsystem>_<name>_<unit>` series.
    public static func storefront(_ subsystem: String, _ name: String, unit: String, help: String) -> Self {
        MetricNameDescriptor(namespace: "storefront", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }
}
