#include "lib/metrics/exposition.h"

#include <prometheus/client_metric.h>
#include <limits>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace cdn::metrics {

struct Exposition::Impl {
  std::vector<prometheus::MetricFamily> families;
  prometheus::MetricFamily& Family(const std::string& name, const std::string& help, prometheus::MetricType type) {
    for (auto& f : families) {
      if (f.name == name) return f;
    }
    families.push_back(prometheus::MetricFamily{name, help, type, {}});
    return families.back();
  }
  static prometheus::ClientMetric Metric(const Labels& labels) {
    prometheus::ClientMetric m;
    for (const auto& [k, v] : labels) m.label.push_back(prometheus::ClientMetric::Label{k, v});
    return m;
  }
};

Exposition::Exposition() : impl_(std::make_unique<Impl>()) {}
Exposition::~Exposition() = default;

void Exposition::Counter(const std::string& name, const std::string& help, const Labels& labels, double value) {
  auto m = Impl::Metric(labels);
  m.counter.value = value;
  impl_->Family(name, help, prometheus::MetricType::Counter).metric.push_back(std::move(m));
}

void Exposition::Gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
  auto m = Impl::Metric(labels);
  m.gauge.value = value;
  impl_->Family(name, help, prometheus::MetricType::Gauge).metric.push_back(std::move(m));
}

void Exposition::Histogram(const std::string& name, const std::string& help, const Labels& labels,
                           const std::vector<double>& bounds, const std::vector<double>& cumulative_counts, double sum,
                           double count) {
  auto m = Impl::Metric(labels);
  for (size_t i = 0; i < bounds.size() && i < cumulative_counts.size(); ++i) {
    prometheus::ClientMetric::Bucket b;
    b.upper_bound = bounds[i];
    b.cumulative_count = static_cast<std::uint64_t>(cumulative_counts[i]);
    m.histogram.bucket.push_back(b);
  }
  prometheus::ClientMetric::Bucket inf;
  inf.upper_bound = std::numeric_limits<double>::infinity();
  inf.cumulative_count = static_cast<std::uint64_t>(count);
  m.histogram.bucket.push_back(inf);
  m.histogram.sample_count = static_cast<std::uint64_t>(count);
  m.histogram.sample_sum = sum;
  impl_->Family(name, help, prometheus::MetricType::Histogram).metric.push_back(std::move(m));
}

std::string Exposition::Render() const {
  prometheus::TextSerializer s;
  return s.Serialize(impl_->families);
}

}  // namespace cdn::metrics
