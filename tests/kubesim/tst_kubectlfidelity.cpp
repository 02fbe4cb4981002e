#include <QTest>
class TstKubectlFidelity : public QObject
{
    Q_OBJECT
};
QTEST_GUILESS_MAIN(TstKubectlFidelity)
#include "tst_kubectlfidelity.moc"
